using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>
/// Collects the console log lines of some resources (every replica) while it is alive, including what the
/// resource logged before the watch began as far as Aspire keeps it.
/// </summary>
public sealed class ResourceLogs : IDisposable
{
    // A line of a .NET stack trace, "   at Namespace.Type.Method(...)", after the prefix and timestamp put first.
    private static readonly Regex StackFrame = new(@"\s{2,}at [\w.+`<>\[\],]+\(", RegexOptions.Compiled);

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

    /// <summary>
    /// Fails if any line is a frame of a stack trace (the services log an exception's type and message only), showing
    /// the lines that led to the first one.
    /// </summary>
    public void AssertNoStackTrace()
    {
        var lines = Lines;
        var first = lines.ToList().FindIndex(line => StackFrame.IsMatch(line));
        Assert.True(first < 0, "A stack trace in the logs:\n" + string.Join('\n', lines.Skip(Math.Max(0, first - 8)).Take(12)));
    }

    public static ResourceLogs Watch(CloudtalkApp app, params string[] names) => new(app, names);

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
