"""The read side of MedFund: named queries, formatting and chart builders the pages share."""
