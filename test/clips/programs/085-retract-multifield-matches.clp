; A fact that matches one pattern several ways (multifield segmentation) has several alpha
; matches there: a retract takes them one by one, the last match first, rather than merging
; their partial matches by age.
(deftemplate a (slot k) (slot n))
(deftemplate b (slot k) (slot n))
(deftemplate c (slot k) (slot n))
(deftemplate m (slot k) (multislot items))
(defrule r0 (declare (salience 5)) (m (k ?k) (items $? ?v $?)) (m (k ?k) (items $?all)) => )
(defrule r1 (declare (salience 5)) (m (k ?k) (items $? ?v $?)) ?f1 <- (b (k y) (n ?m)) => (retract ?f1) (assert (c (k ?k) (n 9))))
(watch activations)
(watch rules)
(assert (m (k x) (items x)))
(assert (c (k x) (n 1)))
(assert (m (k x) (items x y)))
(assert (b (k y) (n 1)))
(retract 3)
(exit)
