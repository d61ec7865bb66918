// The deploy pipeline: SAM template -> artifact (generate) -> function images (build) ->
// CONFIG_DIR (apply). Each step also works alone (`esb artifact generate|apply`). Image building (dockerode) is the `@esb/deploy/build`
// entry, loaded only by the Docker runtime. See docs/design.md.
export * from './generate/index.js';
export * from './apply/index.js';
export * from './layout/index.js';
