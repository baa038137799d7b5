"""Model files' metadata and the runners behind one interface.

- :class:`models.base.Detector` -- ``detect(frame_bgr) -> Detections``; tests use fakes.
- :class:`models.registry.Registry` -- name, version, path, sha256, contract, licence; checked on load.
- :class:`models.hog.HogPeopleDetector` -- OpenCV's built-in people detector (no download).
- :class:`models.onnx_runner.OnnxDetector` -- onnxruntime, SSD- and YOLO-style outputs.
"""
