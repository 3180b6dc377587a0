"""Tendermint-style BFT consensus as a sans-IO state machine.

Inputs are events (events.py), outputs are effects (effects.py) in the order the driver must
carry them out. The machine reads no clock, opens no socket and draws no random number: the
node runtime and the simulator drive the very same code.
"""
