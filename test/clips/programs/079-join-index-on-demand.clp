; A join's left memory is only indexed by join key when the first alpha entry arrives or
; leaves while partial matches wait there; until then its partial matches sit in one list.
; Partial matches under several keys come and go (middle, newest, oldest) before the index
; exists, then the right side arrives, then more come and go through the index: activations
; must appear and disappear in CLIPS's order throughout (positive join, two-variable not, and
; a join whose left side is built first).
(deftemplate a (slot k) (slot n))
(deftemplate b (slot k))
(deftemplate c (slot k) (slot n))
(defrule j (a (k ?k) (n ?n)) (b (k ?k)) =>)
(defrule g (a (k ?k) (n ?n)) (not (c (k ?k) (n ?n))) (b (k ?k)) =>)
(defrule h (b (k ?k)) (a (k ?k) (n ?n)) (c (k ?k) (n ?m&:(< ?m ?n))) =>)
(watch activations)
(assert (a (k x) (n 1)) (a (k y) (n 2)) (a (k x) (n 3)) (a (k z) (n 4)) (a (k y) (n 5)) (a (k x) (n 6)) (a (k x) (n 7)))
(retract 3)
(retract 7)
(retract 1)
(assert (b (k x)))
(assert (b (k y)))
(assert (a (k x) (n 8)) (a (k y) (n 9)))
(assert (c (k y) (n 5)) (c (k x) (n 6)))
(retract 2)
(assert (b (k z)))
(retract 10)
(assert (c (k x) (n 0)))
(retract 13)
(agenda)
(run)
(exit)
