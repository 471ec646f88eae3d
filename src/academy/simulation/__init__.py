"""The creator simulator (`academy simulate`): simulated creators, their behaviour, their events.

The engine (``simulation.engine``) is plain numpy and imports no Django; ``services`` connects
it to the catalogue, the creator and learning tables and the event store.
"""
