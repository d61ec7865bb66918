exports.handler=async()=>({})
