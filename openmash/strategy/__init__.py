"""Strategy discussions: the MASH's most serious outcome, held with police, health, social
care and the others who know the family, from scheduling to minutes, the section 47
decision and its actions."""
