using System.Globalization;
using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Security;

/// <summary>
/// A second system whose Api allows <see cref="PermitLimit"/> writes per client in a window far longer than
/// the tests, so that the budget never refills under them (no timing in the assertions).
/// </summary>
public sealed class LowWriteLimitFixture : IAsyncLifetime
{
    public const int PermitLimit = 5;
    public const int WindowSeconds = 3600;

    private CloudtalkApp? _app;

    public CloudtalkApp App => _app ?? throw new InvalidOperationException("The system has not started.");

    public async Task InitializeAsync() => _app = await CloudtalkApp.StartAsync(
        // The Api runs in Development, where the limit is off by default: switch it on explicitly.
        "--Api:RateLimiting:Writes:Enabled", "true",
        "--Api:RateLimiting:Writes:PermitLimit", PermitLimit.ToString(CultureInfo.InvariantCulture),
        "--Api:RateLimiting:Writes:WindowSeconds", WindowSeconds.ToString(CultureInfo.InvariantCulture));

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LowWriteLimitCollection : ICollectionFixture<LowWriteLimitFixture>
{
    public const string Name = "Cloudtalk system with a low write rate limit";
}
