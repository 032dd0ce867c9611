/** The sets an image can belong to. */
export const SPLITS = ['train', 'validation', 'test'] as const;
/** Which set an image belongs to. */
export type Split = (typeof SPLITS)[number];

/** One usable image of the dataset. */
export type DatasetImage = {
  /** Absolute path. */
  path: string;
  /** Path relative to the dataset root, posix separators, e.g. `roses/garden/1.jpg`. */
  relativePath: string;
  /** Name of the class folder (the root's direct sub-folder) it belongs to. */
  className: string;
  /** sha256 (hex) of the file's bytes: the bottleneck cache key, stable across moves and renames. */
  contentHash: string;
  /** File size in bytes. */
  bytes: number;
  split: Split;
  /** Size after EXIF orientation. */
  widthPx: number;
  heightPx: number;
  /** Detected from content: jpeg, png, webp, gif, tiff or avif. */
  format: string;
};

/** One class: a direct sub-folder of the root, with every image found below it. */
export type DatasetClass = {
  /** The folder name, as on disk. */
  name: string;
  /** retrain.py's label: folder name lower-cased, each run of characters other than a-z/0-9 replaced by one space. */
  label: string;
  /** Sorted by relativePath (code-unit order). */
  images: DatasetImage[];
  counts: { train: number; validation: number; test: number };
};

/**
 * Something the user should know about.
 * - `error`: training cannot start (see `assertTrainable`). Codes: NO_CLASSES, SINGLE_CLASS, TOO_FEW_IMAGES.
 * - `warning`: training can start but results may suffer. Codes: FEW_IMAGES, DUPLICATE,
 *   DUPLICATE_ACROSS_CLASSES, LABEL_COLLISION, SPLIT_EMPTY.
 * - `skipped`: a file or folder that is not used. Codes: NOT_IMAGE, CORRUPT, EMPTY_FILE,
 *   UNREADABLE, HIDDEN, NOT_IN_CLASS, LINK_REPEAT, SPECIAL_FILE (FIFO, socket, device: never
 *   opened), TOO_LARGE (over the size or pixel limit), LINK_CLASS (a top-level link to a folder:
 *   not a class), LINK_OTHER_CLASS (a link out of its class), LINK_OUTSIDE (a link out of the dataset).
 */
export type DatasetIssue = {
  /** Absolute path of the file or folder concerned (the root for dataset-wide issues). */
  path: string;
  code: string;
  severity: 'error' | 'warning' | 'skipped';
  /** What is wrong and what to do, for a person. */
  message: string;
};

/** The result of scanning a folder of class folders. Plain JSON. */
export type Dataset = {
  /** Absolute path of the scanned folder. */
  root: string;
  /** Sorted by name (code-unit order); a class's index is its label index. */
  classes: DatasetClass[];
  issues: DatasetIssue[];
  /** Groups of usable images with identical bytes (absolute paths, sorted). */
  duplicates: { contentHash: string; paths: string[] }[];
  validationPercent: number;
  testPercent: number;
  /** Usable images over all classes. */
  imageCount: number;
  /** ISO 8601 time of the scan. */
  scannedAt: string;
};
