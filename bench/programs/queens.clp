;; N-queens by breadth of partial placements held as facts: one rule extends a placement by
;; one row whenever the new column is safe, another counts the complete boards.
(defglobal ?*n* = 10 ?*solutions* = 0 ?*partials* = 0)

(deftemplate board (slot row) (multislot cols))
(deftemplate column (slot c))

(deffunction safe (?col $?cols)
  (bind ?row (+ (length$ ?cols) 1))
  (bind ?r 1)
  (foreach ?c ?cols
    (if (or (= ?c ?col) (= (abs (- ?c ?col)) (- ?row ?r))) then (return FALSE))
    (bind ?r (+ ?r 1)))
  TRUE)

(defrule extend
  (board (row ?r&:(< ?r ?*n*)) (cols $?cols))
  (column (c ?c&:(safe ?c $?cols)))
  =>
  (bind ?*partials* (+ ?*partials* 1))
  (assert (board (row (+ ?r 1)) (cols $?cols ?c))))

(defrule solution
  (board (row ?r&:(= ?r ?*n*)) (cols $?cols))
  =>
  (bind ?*solutions* (+ ?*solutions* 1)))

(loop-for-count (?i 1 ?*n*) do (assert (column (c ?i))))
(assert (board (row 0) (cols)))
(run)
(printout t "queens " ?*n* " solutions " ?*solutions* " partials " ?*partials* crlf)
(exit)
