using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>Collects the Api's console log lines while it is alive.</summary>
public sealed class ApiLogs : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lines = [];

    private ApiLogs(CloudtalkApp app)
    {
        var logs = app.App.Services.GetRequiredService<ResourceLoggerService>();
        // The resource itself, not its name: log streams are kept per running instance ("api-xyz").
        var api = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "api");
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in logs.WatchAsync(api).WithCancellation(_stop.Token))
                {
                    lock (_lines)
                    {
                        _lines.AddRange(batch.Select(line => line.Content));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped watching.
            }
        });
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public static ApiLogs Watch(CloudtalkApp app) => new(app);

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
