using Cloudtalk.Tests.Infrastructure;

namespace Cloudtalk.Tests.Rating;

/// <summary>A second system with three Rating replicas competing for <c>rating.review-events</c>.</summary>
public sealed class ReplicatedRatingFixture : IAsyncLifetime
{
    public const int RatingReplicas = 3;

    private CloudtalkApp? _app;

    public CloudtalkApp App => _app ?? throw new InvalidOperationException("The system has not started.");

    public async Task InitializeAsync()
    {
        _app = await CloudtalkApp.StartAsync("--Replicas:Rating", RatingReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicatedRatingCollection : ICollectionFixture<ReplicatedRatingFixture>
{
    public const string Name = "Cloudtalk system with 3 Rating replicas";
}
