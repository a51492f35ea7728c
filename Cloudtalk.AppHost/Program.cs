using Cloudtalk.AppHost.Backing;
using Cloudtalk.AppHost.Commands;
using Cloudtalk.AppHost.Telemetry;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

var backing = builder.AddBackingServices();

// Replica counts are settings (e.g. --Replicas:Rating 3): competing consumers must stay exactly right.
var apiReplicas = builder.Configuration.GetValue("Replicas:Api", 1);
var ratingReplicas = builder.Configuration.GetValue("Replicas:Rating", 1);

// The operators' endpoints (rating check, rebuild) require this generated secret; the dashboard commands send it.
var operationsKey = builder.AddOperationsKey();

var api = builder.AddProject<Projects.Cloudtalk_Api>("api")
    .WithReplicas(apiReplicas)
    .WithReference(backing.ApiDatabase).WaitFor(backing.ApiDatabase)
    .WithReference(backing.Cache).WaitFor(backing.Cache)
    .WithReference(backing.Messaging).WaitFor(backing.Messaging)
    .WithHttpHealthCheck("/health")
    .WithTraceSampling(builder.Configuration)
    .WithOperationsKey(operationsKey)
    // The public REST API: reachable from outside the deployment (azd: ingress external); Rating stays internal.
    .WithExternalHttpEndpoints()
    // Dashboard commands for operators and demos (see README, "Dashboard commands").
    .WithDemoDataCommand()
    .WithCheckRatingsCommand(operationsKey);

// The Api's write rate limit can be set on the AppHost (e.g. --Api:RateLimiting:Writes:PermitLimit 5, as the
// tests do); only settings actually given are forwarded, so the published manifest stays as it is.
foreach (var (key, value) in builder.Configuration.GetSection("Api:RateLimiting").AsEnumerable(makePathsRelative: true))
{
    if (value is not null)
    {
        api.WithEnvironment("RateLimiting__" + key.Replace(":", "__", StringComparison.Ordinal), value);
    }
}

builder.AddProject<Projects.Cloudtalk_Rating>("rating")
    .WithReplicas(ratingReplicas)
    .WithReference(backing.RatingDatabase).WaitFor(backing.RatingDatabase)
    .WithReference(backing.Messaging).WaitFor(backing.Messaging)
    // Only the rebuild reads the Api (its reviews); Rating starts and consumes events without it.
    .WithReference(api)
    .WithHttpHealthCheck("/health")
    .WithTraceSampling(builder.Configuration)
    .WithOperationsKey(operationsKey)
    .WithRecomputeRatingsCommand(operationsKey);

builder.Build().Run();
