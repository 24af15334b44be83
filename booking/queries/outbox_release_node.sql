-- A node's sender starts: messages it had claimed in a previous life (it
-- died while sending) are due again at once, not when their claims run
-- out.  $1 = this node.  One may have been handed over already: it goes
-- again with the same Message-ID, which the recipient's mail program
-- recognises.
UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until = NULL
 WHERE status = 'sending' AND claimed_by = $1
