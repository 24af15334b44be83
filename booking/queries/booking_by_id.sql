-- One booking by id.  $1 = booking id.
SELECT v.* FROM booking_view v WHERE v.id = $1
