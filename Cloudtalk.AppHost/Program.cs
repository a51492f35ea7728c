using Cloudtalk.AppHost.Backing;

var builder = DistributedApplication.CreateBuilder(args);

var backing = builder.AddBackingServices();

var api = builder.AddProject<Projects.Cloudtalk_Api>("api")
    .WithReference(backing.ApiDatabase).WaitFor(backing.ApiDatabase)
    .WithReference(backing.Cache).WaitFor(backing.Cache)
    .WithReference(backing.Messaging).WaitFor(backing.Messaging)
    .WithHttpHealthCheck("/health")
    // The public REST API: reachable from outside the deployment (azd: ingress external); Rating stays internal.
    .WithExternalHttpEndpoints();

builder.AddProject<Projects.Cloudtalk_Rating>("rating")
    .WithReference(backing.RatingDatabase).WaitFor(backing.RatingDatabase)
    .WithReference(backing.Messaging).WaitFor(backing.Messaging)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
