; An exists satisfied by the very fact a retract removes, in a partial match built on that fact:
; the exists lets go first (its activation goes when CLIPS walks the exists's alpha match),
; before the rules reading the fact in other alpha nodes lose theirs.
(deftemplate a (slot k) (slot n))
(deftemplate b (slot k) (slot n))
(defrule r0 ?f0 <- (a (k y) (n 1)) => )
(defrule r2 (a (k ?k&:(> (str-length ?k) 0)) (n ~1)) => )
(defrule r5 ?f0 <- (a (k ?k&:(> (str-length ?k) 0)) (n ?n&:(> ?n 0)))
  (b (k ?k&:(> (str-length ?k) 0)) (n ?m&:(> ?m 0))) (exists (a (k y) (n ~1))) => )
(watch activations)
(assert (b (k x) (n 2)))
(assert (b (k x) (n 0)))
(assert (b (k y) (n 0)))
(assert (a (k y) (n 2)))
(assert (b (k y) (n 1)))
(retract 4)
(exit)
