"""The contact directory: model, loading, search and opening-hours status (Asia/Tokyo)."""
