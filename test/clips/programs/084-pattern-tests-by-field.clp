; Which pattern-network node a constraint shares depends on the field it tests, not on what
; its variables are called or in which slot order the pattern names them; a predicate on a
; field whose variable an earlier pattern bound (`?k&:(...)`) is still a test on the field.
(deftemplate a (slot k) (slot n))
(deftemplate b (slot k) (slot n))
(deftemplate c (slot k) (slot n))
(defrule r0 (declare (salience 5)) (a (n ?n) (k ?k&:(> (str-length ?k) 0))) => (assert (c (k ?k) (n 9))))
(defrule r1 (a (k ?k&:(> (str-length ?k) 0)) (n 2)) =>)
(defrule r2 (b (k ?k&:(> (str-length ?k) 0)) (n 2)) =>)
(defrule r3 (b (n ?n) (k x)) (a (n ?m&:(> ?m 0)) (k ?k)) (b (k ?k&:(> (str-length ?k) 0)) (n 0))
  => (assert (c (k ?k) (n 9))))
(watch activations)
(assert (a (k y) (n 2)))
(assert (a (k x) (n 1)))
(assert (b (k x) (n 1)))
(assert (b (k x) (n 0)))
(agenda)
(exit)
