namespace Cloudtalk.Tests.Infrastructure;

/// <summary>One running system shared by every test class of the <see cref="CloudtalkCollection"/>.</summary>
public sealed class CloudtalkAppFixture : IAsyncLifetime
{
    private CloudtalkApp? _app;

    public CloudtalkApp App => _app ?? throw new InvalidOperationException("The system has not started.");

    public async Task InitializeAsync() => _app = await CloudtalkApp.StartAsync();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CloudtalkCollection : ICollectionFixture<CloudtalkAppFixture>
{
    public const string Name = "Cloudtalk system";
}
