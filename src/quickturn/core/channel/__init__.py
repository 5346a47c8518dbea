"""Channel core: operating-model (托管模式) economics — self-operated, semi- and fully managed."""
