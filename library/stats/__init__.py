"""Statistics: utilisation, heatmap, people, workshops and turned-away demand, by set-based SQL."""
