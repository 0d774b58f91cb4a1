"""What people read and file: view models of a cohort and of one province's evaluation,
and the documents rendered from them (decision letter .docx, cohort results .xlsx)."""
