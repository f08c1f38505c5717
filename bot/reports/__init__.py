"""Answers about the reports themselves rather than one paragraph: summaries and metadata
(`overview`), and compare and total questions over every report's figures (`across`)."""
