/**
 * Image sources, opened by name through the one registry {@link dev.ibq.image.source.ImageSources}:
 * {@link dev.ibq.image.source.FashionMnistSource} ({@code fashion-mnist:test|train}, over the gzip IDX reader
 * {@link dev.ibq.image.source.FashionMnist}), {@link dev.ibq.image.source.FolderSource} ({@code folder:PATH}, the one
 * folder walker; class = sub-folder) and {@link dev.ibq.image.source.FileListSource} ({@code files:A,B,...}). All hand
 * images to {@link dev.ibq.image.Preprocessor}; none preprocesses.
 */
package dev.ibq.image.source;
