(defrule count ?f <- (n ?x) => (retract ?f) (printout t "count " ?x crlf) (if (>= ?x 3) then (halt)) (assert (n (+ ?x 1))))

(reset)
(assert (n 0))
(run)
(facts)
(run 2)
(facts)
(exit)
