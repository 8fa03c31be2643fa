"""Selection algorithms outside the fair/, endtoend/ and counting/ families: the legacy greedy draw
(`legacy`), Diversimax (`diversimax`), the quota integer program they and the column-generation
methods build on (`panel_model`) and brute force over every panel of a tiny pool (`enumeration`)."""
