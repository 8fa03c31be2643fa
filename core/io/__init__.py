"""Reading and writing the files people exchange with the workbench."""
