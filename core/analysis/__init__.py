"""What the input and the results say: households found in the address columns (`households`),
volunteers no quota-satisfying panel can contain (`never_selectable`), whether the quotas can be
met and the smallest repair (`feasibility`), selection-probability metrics (`metrics`), the
comparison of algorithms (`compare`) and intersectional representation (`intersections`)."""
