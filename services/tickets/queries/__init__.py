"""Questions answered from the read models. Customers' questions are always scoped by their
organisation; internal notes are read only by `page.internal_notes`, for staff."""
