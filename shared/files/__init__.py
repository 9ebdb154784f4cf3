"""Files a service keeps outside its database (tickets' attachments, billing's invoice
PDFs): stored under generated keys in a local directory or an S3-compatible bucket, their type
sniffed from their content."""
