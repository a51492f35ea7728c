using System.Net.Http.Headers;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Cloudtalk.AppHost.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>
/// The real AppHost, started through Aspire.Hosting.Testing in local backing mode (the Debian servers,
/// no containers), with its state in a folder of its own so that a test can check what is left afterwards.
/// </summary>
public sealed class CloudtalkApp : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private CloudtalkApp(DistributedApplication app, string stateRoot)
    {
        App = app;
        StateRoot = stateRoot;
    }

    public DistributedApplication App { get; }

    /// <summary>The parent folder of this AppHost's local run folder.</summary>
    public string StateRoot { get; }

    /// <summary>Starts a system whose local run folder is under a state folder of its own.</summary>
    public static Task<CloudtalkApp> StartAsync(params string[] extraArgs) =>
        StartInAsync(Path.Combine(Path.GetTempPath(), "cloudtalk-tests", Guid.NewGuid().ToString("N")[..12]), extraArgs);

    /// <summary>Starts a system whose local run folder is under <paramref name="stateRoot"/> (e.g. an earlier system's).</summary>
    public static async Task<CloudtalkApp> StartInAsync(string stateRoot, params string[] extraArgs)
    {
        using var cancellation = new CancellationTokenSource(StartTimeout);

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Cloudtalk_AppHost>(
            ["--backing", "local", "--LocalBacking:StateRoot", stateRoot, .. extraArgs],
            (appOptions, _) => appOptions.DisableDashboard = true,
            cancellation.Token);
        // No dashboard, so no collector: but Aspire still points the services at its OTLP endpoint, where every export
        // would fail, and each service's shutdown would wait 5 s per telemetry provider for it (docs/reliability.md).
        // Without the endpoint the services export nothing, as they do wherever no collector is configured.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting.Dcp", LogLevel.Error)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning)
            // Probes fail while the servers start; the resource's health state is what the tests wait on.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical)
            // The servers' and services' own output: only their warnings and errors reach the test log.
            .AddFilter("Cloudtalk.AppHost.Resources", LogLevel.Warning));

        var app = await builder.BuildAsync(cancellation.Token);
        var started = new CloudtalkApp(app, stateRoot);
        try
        {
            await app.StartAsync(cancellation.Token);
            foreach (var resource in new[] { "api", "rating" })
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cancellation.Token);
            }

            var operationsKey = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .OfType<ParameterResource>().Single(parameter => parameter.Name == OperationsKeyParameter.Name);
            started.OperationsKey = await operationsKey.GetValueAsync(cancellation.Token)
                ?? throw new InvalidOperationException("The AppHost generated no operations key.");
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    /// <summary>
    /// Waits until <paramref name="replicas"/> instances of the resource are healthy. Starting waits for the resource,
    /// which is healthy as soon as one replica is; a test about every replica needs them all.
    /// </summary>
    public async Task WaitForHealthyReplicasAsync(string resource, int replicas)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var healthy = new HashSet<string>(StringComparer.Ordinal);
        // Watching replays every resource's current state first, then follows the changes.
        await foreach (var update in App.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name != resource)
            {
                continue;
            }

            if (update.Snapshot.HealthStatus == HealthStatus.Healthy)
            {
                healthy.Add(update.ResourceId);
            }
            else
            {
                healthy.Remove(update.ResourceId);
            }

            if (healthy.Count >= replicas)
            {
                return;
            }
        }
    }

    /// <summary>An HTTP client for a project resource ("api" or "rating").</summary>
    public HttpClient CreateClient(string resource) => App.CreateHttpClient(resource, "http");

    public HttpClient CreateApiClient() => CreateClient("api");

    /// <summary>The key of the operators' endpoints, as the AppHost generated it for this run.</summary>
    public string OperationsKey { get; private set; } = "";

    /// <summary>A client for a project resource that sends the operations key, for the operators' endpoints.</summary>
    public HttpClient CreateOperationsClient(string resource = "api")
    {
        var client = CreateClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsKey);
        return client;
    }

    public async Task<string> GetConnectionStringAsync(string name) =>
        await App.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"No connection string '{name}'.");

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        // The AppHost removes its run folder on a clean stop; an empty parent is removed too. A folder with something
        // left in it stays, for whoever looks into what a run left behind.
        if (Directory.Exists(StateRoot) && !Directory.EnumerateFileSystemEntries(StateRoot).Any())
        {
            Directory.Delete(StateRoot);
        }
    }
}
