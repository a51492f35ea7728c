using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Cloudtalk.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// Collects the console log lines of some resources (every replica) while it is alive, including what the
/// resource logged before the watch began as far as Aspire keeps it.
/// </summary>
public sealed class ResourceLogs : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _lines = [];

    private ResourceLogs(CloudtalkApp app, string[] names)
    {
        var logs = app.App.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.App.Services.GetRequiredService<DistributedApplicationModel>();
        foreach (var name in names)
        {
            // The resource itself, not its name: log streams are kept per running instance ("api-xyz").
            var resource = model.Resources.Single(r => r.Name == name);
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stop.Token))
                    {
                        lock (_lines)
                        {
                            _lines.AddRange(batch.Select(line => $"{name}: {line.Content}"));
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // Stopped watching.
                }
            });
        }
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

    public static ResourceLogs Watch(CloudtalkApp app, params string[] names) => new(app, names);

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
