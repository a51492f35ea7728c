using Cloudtalk.Rating.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Cloudtalk.Rating.Infrastructure.EntityConfigurations;

public sealed class ReviewRatingConfiguration : IEntityTypeConfiguration<ReviewRating>
{
    public const string TableName = "review_ratings";

    public void Configure(EntityTypeBuilder<ReviewRating> builder)
    {
        builder.ToTable(TableName, table => table.HasCheckConstraint("ck_review_ratings_rating", "rating BETWEEN 1 AND 5"));
        builder.HasKey(review => review.ReviewId);
        builder.Property(review => review.ReviewId).HasColumnName("review_id").ValueGeneratedNever();
        builder.Property(review => review.ProductId).HasColumnName("product_id");
        builder.Property(review => review.Rating).HasColumnName("rating");
        builder.Property(review => review.ReviewVersion).HasColumnName("review_version");
        builder.Property(review => review.IsDeleted).HasColumnName("is_deleted");
        builder.Ignore(review => review.Contribution);
        builder.HasIndex(review => review.ProductId).HasDatabaseName("ix_review_ratings_product_id");
    }
}
