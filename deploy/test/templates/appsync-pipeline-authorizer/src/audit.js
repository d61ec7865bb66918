// A direct Lambda function of a pipeline, batched: one event per task.
exports.handler = async (events) => events.map((e) => ({ audited: true, id: e.prev.result.id }));
