"""Word lists for seeded tenants: fixed so that the same seed always yields the same directory."""

from __future__ import annotations

GIVEN_NAMES: tuple[str, ...] = (
    "Ada", "Alan", "Alice", "Amir", "Anna", "Ben", "Carla", "Chen", "Clara", "Dan",
    "Diego", "Elena", "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan",
    "Jack", "Jana", "Karim", "Kate", "Lars", "Lea", "Leo", "Lina", "Marc", "Maya",
    "Mia", "Nadia", "Noah", "Olga", "Omar", "Paul", "Priya", "Rosa", "Sam", "Sara",
    "Tom", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe", "Zora",
)  # fmt: skip

SURNAMES: tuple[str, ...] = (
    "Adams", "Baker", "Berg", "Brown", "Costa", "Cruz", "Davis", "Diaz", "Evans", "Fischer",
    "Garcia", "Gray", "Hall", "Hansen", "Ito", "Jensen", "Khan", "Kim", "Klein", "Lopez",
    "Martin", "Meyer", "Moreau", "Nguyen", "Novak", "Okafor", "Park", "Patel", "Perez", "Quinn",
    "Rossi", "Sato", "Schmidt", "Silva", "Smith", "Tanaka", "Taylor", "Walker", "Weber", "Young",
)  # fmt: skip

DEPARTMENTS: tuple[str, ...] = (
    "Engineering", "Sales", "Marketing", "Finance", "Support", "Legal", "Operations", "People",
)  # fmt: skip

JOB_TITLES: tuple[str, ...] = (
    "Engineer", "Senior Engineer", "Manager", "Analyst", "Specialist", "Director", "Consultant",
    "Coordinator", "Associate", "Lead",
)  # fmt: skip

OFFICES: tuple[str, ...] = ("Amsterdam", "Berlin", "Boston", "Dublin", "Lisbon", "Seattle", "Tokyo")
