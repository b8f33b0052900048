// cnnc/runtime/node/images: a user's own images in Node, as `cnnc train` reads them — image folders in torchvision's
// ImageFolder layout, CSV manifests, a stratified validation split, decoded (PNG, JPEG: fast-png, jpeg-js) and
// preprocessed by a spec's transforms, and the data a spec names (loadData). A subpath of its own: its decoders and
// the decoded-image cache add ~100 ms to an import that an app running a model on pixels it already has does not need
// (cnnc/runtime/node stays ~35 ms).
//
//   import { listImageFolder, loadImages } from 'cnnc/runtime/node/images';
//   const splits = listImageFolder('photos');                       // photos/train/<class>/*, photos/test/<class>/*
//   const { train, test, classes } = loadImages(splits, { shape: [3, 64, 64], transforms: { eval: [], train: [] }, seed: 0 });
export { IMAGE_EXTENSIONS, listCsvManifests, listImageFolder, splitValidation, type ImageList, type ImageSplits } from './data/image-files.js';
export { imageInput, imageTensor, loadImages, readImage, type ImageLoadOptions, type LoadedImages } from './data/images.js';
export { chooseData, loadData, loadDataAsync, type DataContext, type DataSource } from './data/load.js';
