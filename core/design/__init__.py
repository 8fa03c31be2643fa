"""The rest of the design space of randomness: incentives to misreport, groups no quota names, ex-ante targets."""
