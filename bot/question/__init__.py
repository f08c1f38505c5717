"""Reading a question before anything is retrieved: a follow-up made whole, its kind (fact,
figure, list, summary, compare, total, ...) and the kind of figure it asks for."""
