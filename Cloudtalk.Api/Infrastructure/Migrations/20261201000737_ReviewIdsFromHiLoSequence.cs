using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Cloudtalk.Api.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class ReviewIdsFromHiLoSequence : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateSequence(
                name: "review_ids",
                incrementBy: 10);

            migrationBuilder.AlterColumn<long>(
                name: "id",
                table: "reviews",
                type: "bigint",
                nullable: false,
                defaultValueSql: "nextval('review_ids')",
                oldClrType: typeof(long),
                oldType: "bigint")
                .OldAnnotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn);

            // The sequence goes on after the ids the identity column handed out (none on a fresh database).
            migrationBuilder.Sql("SELECT setval('review_ids', COALESCE((SELECT max(id) FROM reviews), 0) + 1, false);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropSequence(
                name: "review_ids");

            migrationBuilder.AlterColumn<long>(
                name: "id",
                table: "reviews",
                type: "bigint",
                nullable: false,
                oldClrType: typeof(long),
                oldType: "bigint",
                oldDefaultValueSql: "nextval('review_ids')")
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn);

            migrationBuilder.Sql(
                "SELECT setval(pg_get_serial_sequence('reviews', 'id'), COALESCE((SELECT max(id) FROM reviews), 0) + 1, false);");
        }
    }
}
