"""View models: the figures a page shows, computed without Streamlit so they can be tested
(pool summary, quota editing, what if, compare plan, lottery, intersections, end-to-end,
classroom)."""
