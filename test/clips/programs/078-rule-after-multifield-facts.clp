; Facts whose multifields match a pattern several times exist before the rules that read them:
; adding a rule (and a reset) must create their activations in CLIPS's order. The first
; pattern of each rule joins its alpha memory only when the rule's root token arrives.
(deftemplate bag (multislot items))
(deftemplate want (slot item))
(assert (bag (items a b a c)))
(assert (bag (items c a)))
(assert (want (item a)))
(watch activations)
(defrule each-item (bag (items $? ?x $?)) => (printout t "item " ?x crlf))
(defrule wanted (bag (items $?pre ?x $?post)) (want (item ?x))
  => (printout t "wanted " ?x " after " (length$ ?pre) crlf))
(agenda)
(run)
(reset)
(assert (bag (items b a)))
(assert (want (item b)))
(run)
(exit)
