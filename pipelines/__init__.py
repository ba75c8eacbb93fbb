"""The write side of MedFund: reading reports, extracting fund figures, checking and storing them
(see the README layout for each module)."""
