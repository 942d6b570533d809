"""What is composed around a learner in Dojo's games, not part of any algorithm's config (``settings.PlayConfig``):

* ``league``: who it trains against: a curriculum, a mix of bots, past snapshots of itself (through
  ``reset(options={"opponent": ...})``);
* ``lookahead``: its greedy policy acting through its game's search (``envs/<game>/search.py``);
* ``opponent``: its opponent model (the LSTM predictor of ``agents/opponent_model.py``), held by the policy: the
  prediction planes its network reads, or the predicted line its search follows;
* ``play``: the three composed for one learner (and for a loaded agent);
* ``opponent_games``: games for the opponent model and the ``train-opponent-model`` command.
"""
