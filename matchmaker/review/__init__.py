"""The reviewer queue: open suggestions, best first, decided one by one or in bulk."""
