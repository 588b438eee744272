;; Transitive closure: graph reachability over a deterministic sparse graph.
;; Every node reaches every other node, so the closure has N*N reach facts.
(defglobal ?*nodes* = 400 ?*reach* = 0 ?*steps* = 0)

(deftemplate edge (slot from) (slot to))
(deftemplate reach (slot from) (slot to))

(defrule seed
  (edge (from ?a) (to ?b))
  =>
  (assert (reach (from ?a) (to ?b))))

(defrule extend
  (reach (from ?a) (to ?b))
  (edge (from ?b) (to ?c))
  (not (reach (from ?a) (to ?c)))
  =>
  (bind ?*steps* (+ ?*steps* 1))
  (assert (reach (from ?a) (to ?c))))

(defrule count-reach
  (declare (salience -10))
  (reach (from ?a) (to ?b))
  =>
  (bind ?*reach* (+ ?*reach* 1)))

(loop-for-count (?i 0 (- ?*nodes* 1)) do
  (assert (edge (from ?i) (to (mod (+ ?i 1) ?*nodes*))))
  (assert (edge (from ?i) (to (mod (+ (* ?i 7) 3) ?*nodes*)))))
(run)
(printout t "nodes " ?*nodes* " reach " ?*reach* " steps " ?*steps* crlf)
(exit)
