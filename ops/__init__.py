"""Running the whole product on one machine: secrets for development and the process stack."""
