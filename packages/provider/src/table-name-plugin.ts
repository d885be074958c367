import {
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  TableNode,
  type UnknownRow,
} from 'kysely';

/** The rules of `users_table`: a name, or `schema.name`, of letters, digits and `_`. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function isValidTableName(name: string): boolean {
  return TABLE_NAME.test(name);
}

class RenameTable extends OperationNodeTransformer {
  readonly #from: string;
  readonly #to: Readonly<TableNode>;

  constructor(from: string, to: string) {
    super();
    this.#from = from;
    const [first, second] = to.split('.');
    this.#to = second ? TableNode.createWithSchema(first as string, second) : TableNode.create(to);
  }

  protected override transformTable(node: TableNode): TableNode {
    const { schema, identifier } = node.table;
    return !schema && identifier.name === this.#from ? this.#to : super.transformTable(node);
  }
}

/**
 * Sends the queries written for the `users` table to the table the
 * configuration names (`users_table`), such as a view over another system's
 * accounts.
 */
export class TableNamePlugin implements KyselyPlugin {
  readonly #transformer: RenameTable;

  constructor(from: string, to: string) {
    this.#transformer = new RenameTable(from, to);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
