; A small routing-flavoured CLIPS program: run it with `npm start`
; (or `npx nautilus clips -f examples/clips/hello.clp` after `npm run build`).
(deftemplate source (slot id) (multislot data-types) (slot classification))
(deftemplate request (slot agent) (multislot wants) (slot clearance))
(deftemplate decision (slot source) (slot action) (slot reason))

(deffunction rank (?level)
  (switch ?level
    (case unclassified then 0)
    (case cui then 1)
    (case secret then 2)
    (default 99)))

(deffacts registry
  (source (id hr-db) (data-types pii employee) (classification cui))
  (source (id vuln-db) (data-types vulnerability) (classification unclassified))
  (source (id intel) (data-types vulnerability threat) (classification secret)))

(defrule route
  (request (wants $? ?t $?) (clearance ?c))
  (source (id ?s) (data-types $? ?t $?) (classification ?l&:(<= (rank ?l) (rank ?c))))
  (not (decision (source ?s)))
  =>
  (assert (decision (source ?s) (action route) (reason (str-cat "provides " ?t)))))

(defrule deny-classification
  (declare (salience 10))
  (request (wants $? ?t $?) (clearance ?c))
  (source (id ?s) (data-types $? ?t $?) (classification ?l&:(> (rank ?l) (rank ?c))))
  =>
  (assert (decision (source ?s) (action deny) (reason (str-cat ?l " is above " ?c)))))

(defrule report
  (declare (salience -10))
  (decision (source ?s) (action ?a) (reason ?r))
  =>
  (printout t ?a tab ?s tab ?r crlf))

(watch rules)
(reset)
(assert (request (agent analyst) (wants vulnerability) (clearance cui)))
(run)
(exit)
