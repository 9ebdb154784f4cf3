"""Attachments: uploads claimed by messages; the files themselves are kept by shared.files."""
