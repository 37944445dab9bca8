/**
 * Data set readers: {@link dev.ibq.image.source.FashionMnist} (gzip IDX files) and
 * {@link dev.ibq.image.source.ImageFolder} (class = sub-folder). Both hand images to
 * {@link dev.ibq.image.Preprocessor}; neither preprocesses.
 */
package dev.ibq.image.source;
