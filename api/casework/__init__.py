"""Staff casework: the case record, DASH, MARAC, sharing, repairs, reviews, follow-up."""
